// Entry of display.html, served at /display: the room screen (kiosk on the box).
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import '../shared/theme.css';
import DisplayApp from './DisplayApp.vue';

createApp(DisplayApp).use(createPinia()).mount('#app');
